<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko" sourcelanguage="en">
<context>
    <name>ErrorReporter</name>
    <message>
        <source>Show Log</source>
        <translation>로그 보기</translation>
    </message>
    <message>
        <source>Something went wrong inside mixgrv.</source>
        <translation>mixgrv에 예기치 않은 문제가 발생했습니다.</translation>
    </message>
    <message>
        <source>Your files are safe. You can keep working, or quit and open mixgrv again.

The details were written to the log:
{path}</source>
        <translation>파일은 안전합니다. 계속 작업하거나, 종료한 뒤 mixgrv를 다시 열어 주세요.

자세한 내용은 로그에 기록했습니다:
{path}</translation>
    </message>
    <message>
        <source>mixgrv</source>
        <translation>mixgrv</translation>
    </message>
    <message>
        <source>standard error (no log file could be written)</source>
        <translation>표준 오류 출력 (로그 파일을 쓸 수 없음)</translation>
    </message>
</context>
<context>
    <name>LossChart</name>
    <message>
        <source>손실</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>손실 (원본)</source>
        <extracomment>weight of the newest point in the moving average (0.1 ≈ smoothing over ~10 steps)</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>손실 (평활)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>스텝</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n item(s) sent to the Training tab.</source>
        <translation>
            <numerusform>항목 %n개를 트레이닝 탭으로 보냈습니다.</numerusform>
        </translation>
    </message>
    <message>
        <source>&lt;h3&gt;mixgrv {version}&lt;/h3&gt;&lt;p&gt;Train LoRA adapters for ACE-Step 1.5 on your own Mac, and make music with them.&lt;/p&gt;&lt;p&gt;Your data: {data}&lt;/p&gt;</source>
        <translation>&lt;h3&gt;mixgrv {version}&lt;/h3&gt;&lt;p&gt;내 Mac에서 ACE-Step 1.5용 LoRA 어댑터를 학습하고, 그 어댑터로 음악을 만드세요.&lt;/p&gt;&lt;p&gt;데이터 위치: {data}&lt;/p&gt;</translation>
    </message>
    <message>
        <source>About mixgrv</source>
        <translation>mixgrv 정보</translation>
    </message>
    <message>
        <source>Apple GPU (Metal)</source>
        <translation>Apple GPU (Metal)</translation>
    </message>
    <message>
        <source>Audio files (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.aac *.ogg *.opus *.wma);;All files (*)</source>
        <translation>오디오 파일 (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.aac *.ogg *.opus *.wma);;모든 파일 (*)</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>백엔드</translation>
    </message>
    <message>
        <source>Caption, lyrics, length, tempo and key</source>
        <translation>곡 설명, 가사, 길이, 템포와 조성</translation>
    </message>
    <message>
        <source>Choose the ACE-Step checkpoints folder</source>
        <translation>ACE-Step 체크포인트 폴더 선택</translation>
    </message>
    <message>
        <source>Describe a song, add lyrics, apply your LoRA adapters and listen to the results right here.</source>
        <translation>만들고 싶은 곡을 설명하고 가사를 넣은 뒤, LoRA 어댑터를 적용해 결과를 바로 여기서 들어 보세요.</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>장치</translation>
    </message>
    <message>
        <source>Drop to add these songs to your training dataset</source>
        <translation>놓으면 이 곡들을 트레이닝 데이터셋에 추가합니다</translation>
    </message>
    <message>
        <source>File</source>
        <translation>파일</translation>
    </message>
    <message>
        <source>Full Screen</source>
        <translation>전체 화면</translation>
    </message>
    <message>
        <source>Generation</source>
        <translation>생성</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>도움말</translation>
    </message>
    <message>
        <source>Import Audio</source>
        <translation>오디오 가져오기</translation>
    </message>
    <message>
        <source>Import Audio…</source>
        <translation>오디오 가져오기…</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Make music</source>
        <translation>음악 만들기</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>Models Folder…</source>
        <translation>모델 폴더…</translation>
    </message>
    <message>
        <source>Nothing to import: the files were not found.</source>
        <translation>가져올 항목이 없습니다. 파일을 찾을 수 없습니다.</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>종료</translation>
    </message>
    <message>
        <source>Results you can play, compare and export</source>
        <translation>결과를 재생하고, 비교하고, 내보내기</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Show Data Folder</source>
        <translation>데이터 폴더 보기</translation>
    </message>
    <message>
        <source>Show Log Folder</source>
        <translation>로그 폴더 보기</translation>
    </message>
    <message>
        <source>System Default</source>
        <translation>시스템</translation>
    </message>
    <message>
        <source>The Training tab cannot import audio yet.</source>
        <translation>트레이닝 탭은 아직 오디오를 가져올 수 없습니다.</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>트레이닝</translation>
    </message>
    <message>
        <source>View</source>
        <translation>보기</translation>
    </message>
    <message>
        <source>Your songs, a dataset and a LoRA adapter trained on this Mac.</source>
        <translation>내 곡으로 데이터셋을 만들고, 이 Mac에서 LoRA 어댑터를 학습합니다.</translation>
    </message>
    <message>
        <source>Your trained LoRA adapters, mixed with a strength each</source>
        <translation>학습한 LoRA 어댑터를 각각 원하는 강도로 섞어 적용</translation>
    </message>
    <message>
        <source>found</source>
        <translation>있음</translation>
    </message>
    <message>
        <source>mixgrv started, but some things need your attention.</source>
        <translation>mixgrv가 시작되었지만 확인이 필요한 항목이 있습니다.</translation>
    </message>
    <message>
        <source>not downloaded</source>
        <translation>다운로드 필요</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>Settings cannot be saved to {path}. Changes will be lost when mixgrv quits; check that the folder is writable.</source>
        <translation>설정을 {path}에 저장할 수 없습니다. mixgrv를 종료하면 변경 사항이 사라지니, 폴더에 쓰기 권한이 있는지 확인하세요.</translation>
    </message>
    <message>
        <source>The setting “{key}” had an invalid value and was reset to its default.</source>
        <translation>설정 “{key}”의 값이 올바르지 않아 기본값으로 되돌렸습니다.</translation>
    </message>
    <message>
        <source>The settings file could not be read, so mixgrv started with default settings. The old file was kept as {backup}.</source>
        <translation>설정 파일을 읽을 수 없어 기본 설정으로 시작했습니다. 기존 파일은 {backup}에 보관했습니다.</translation>
    </message>
</context>
<context>
    <name>Startup</name>
    <message>
        <source>Some folders could not be written, so mixgrv is using temporary ones for now. Files saved there may disappear after a restart; check the folder permissions.</source>
        <translation>일부 폴더에 쓸 수 없어 당분간 임시 폴더를 사용합니다. 여기에 저장한 파일은 재시동 후 사라질 수 있으니 폴더 권한을 확인하세요.</translation>
    </message>
</context>
<context>
    <name>TrainingTab</name>
    <message>
        <source>1  Dataset</source>
        <translation>1  데이터셋</translation>
    </message>
    <message>
        <source>2  Labels</source>
        <translation>2  라벨</translation>
    </message>
    <message>
        <source>3  Preprocess</source>
        <translation>3  전처리</translation>
    </message>
    <message>
        <source>4  Train</source>
        <translation>4  학습</translation>
    </message>
    <message>
        <source>Drop songs or folders here</source>
        <translation>곡이나 폴더를 여기에 끌어다 놓으세요</translation>
    </message>
    <message>
        <source>Drop your songs here to build a dataset. mixgrv will check and label them, prepare them for training, and train a LoRA adapter on this Mac.</source>
        <translation>내 곡을 끌어다 놓아 데이터셋을 만드세요. mixgrv가 곡을 확인하고 라벨을 붙인 뒤 학습용으로 준비하고, 이 Mac에서 LoRA 어댑터를 학습합니다.</translation>
    </message>
    <message>
        <source>No songs yet.</source>
        <translation>아직 곡이 없습니다.</translation>
    </message>
    <message>
        <source>Received files</source>
        <translation>받은 파일</translation>
    </message>
    <message>
        <source>Train your own style</source>
        <translation>나만의 스타일 학습하기</translation>
    </message>
    <message>
        <source>WAV, FLAC, MP3, AIFF, M4A and more — or choose File &gt; Import Audio…</source>
        <translation>WAV, FLAC, MP3, AIFF, M4A 등 — 또는 파일 &gt; 오디오 가져오기…를 선택하세요</translation>
    </message>
</context>
</TS>
